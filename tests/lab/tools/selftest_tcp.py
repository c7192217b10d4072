#!/usr/bin/env python3
"""Self-test of the lab's checkers on SIP over TCP split across segments, no root.

An INVITE cut into four segments (cuts inside the Via, inside the c= line
and inside the m= port) must be judged on the whole message: wanleg.py finds
a private address that only the reassembled c= line shows, and reads the
announced port whole (a segment-by-segment reader sees "m=audio 10");
pinholes.py matches the call's expectations by that port; retransmitted and
out-of-order segments count once; tcpsplit.py counts the segments and fails
an INVITE that left in one. Usage: python3 tests/lab/tools/selftest_tcp.py
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import selftest_checks as base  # noqa: E402

GW, PBX, FAR, PHONE = base.GW, base.PBX, base.FAR, base.PHONE


def tcp_frame(src, sport, dst, dport, seq, payload, flags=0x18):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0,
                     base.ip4(src), base.ip4(dst))
    return b"\0" * 12 + b"\x08\x00" + ip + tcp


def invite(via, contact, sdp_addr, port):
    sdp = (f"v=0\r\no=- 1 1 IN IP4 {sdp_addr}\r\ns=-\r\nc=IN IP4 {sdp_addr}\r\nt=0 0\r\n"
           f"m=audio {port} RTP/AVP 0 8 9 101\r\na=rtpmap:0 PCMU/8000\r\n").encode()
    head = (f"INVITE sip:w1@{PBX};transport=tcp SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP {via}:5060;branch=z9hG4bK-1\r\n"
            f"Call-ID: c-1\r\nContact: <sip:l1@{contact}:5060;transport=tcp>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n").encode()
    return head + sdp


def cuts(msg, *marks):
    """offsets a few bytes into each marked text: inside the Via, c= and m= lines"""
    return [msg.index(m.encode()) + len(m) for m in marks]


def split_frames(src, msg, at, seq0=1000, extra=()):
    """SYN, then msg cut at the offsets `at`; extra: (index, mode) re-sends"""
    out = [tcp_frame(src, 5060, PBX, 5060, seq0 - 1, b"", flags=0x02)]
    edges = [0, *at, len(msg)]
    segs = [(seq0 + a, msg[a:b]) for a, b in zip(edges, edges[1:])]
    order = list(range(len(segs)))
    for i, mode in extra:
        if mode == "dup":
            order.insert(order.index(i) + 1, i)
        elif mode == "swap":        # i arrives after i + 1
            j = order.index(i)
            order[j], order[j + 1] = order[j + 1], order[j]
    out += [tcp_frame(src, 5060, PBX, 5060, *segs[i]) for i in order]
    return out


def media(src, rtp_sport):
    return [base.frame(src, rtp_sport, FAR, 4000, base.RTP)] * 5 + \
        [base.frame(FAR, 4000, src, rtp_sport, base.RTP)] * 5


def run(tool, *args):
    r = subprocess.run([sys.executable, os.path.join(HERE, tool), *args], capture_output=True, text=True)
    return r.returncode, r.stdout


def main():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append(f"{name}: got {got}, want {want}")

    lan_msg = invite(PHONE, PHONE, PHONE, 10000)
    good_msg = invite(GW, GW, GW, 10000)
    # a helper that rewrote the headers' segment but not the c= cut across two
    half_msg = invite(GW, GW, GW, 10000).replace(f"c=IN IP4 {GW}".encode(), f"c=IN IP4 {PHONE}".encode())
    with tempfile.TemporaryDirectory() as d:
        def p(n):
            return os.path.join(d, n)

        def pcap(name, src, msg, at, extra=(), rtp=10000):
            base.write_pcap(p(name), split_frames(src, msg, at, extra=extra) + media(src, rtp))
        pcap("lan.pcap", PHONE, lan_msg, cuts(lan_msg, "Via: SIP/2.0/TCP 192.1", "c=IN IP4 192.16", "m=audio 10"))
        good_cuts = cuts(good_msg, "Via: SIP/2.0/T", "c=IN IP4 203.0", "m=audio 10")
        pcap("good.pcap", GW, good_msg, good_cuts)
        pcap("half.pcap", GW, half_msg, cuts(half_msg, "Via: SIP/2.0/T", "c=IN IP4 192.16", "m=audio 10"))
        pcap("retrans.pcap", GW, good_msg, good_cuts, extra=[(1, "dup"), (2, "swap")])
        pcap("one.pcap", PHONE, lan_msg, [])

        def wanleg(f):
            return run("wanleg.py", p(f), "--alg", "sipalgd")[0]
        check("wanleg split INVITE, all public, m= port cut", wanleg("good.pcap"), 0)
        check("wanleg split INVITE, private c= cut across segments", wanleg("half.pcap"), 1)
        rc, out = run("wanleg.py", p("half.pcap"), "--alg", "sipalgd")
        check("wanleg names the c= line cut across segments",
              f"c=IN IP4 {PHONE}" in str(json.loads(out)["leaks"]), True)
        check("wanleg says the leak is in the SDP, not a header", json.loads(out)["leak_kinds"], {"out c=": 1})
        check("wanleg split INVITE, retransmitted and out-of-order segments", wanleg("retrans.pcap"), 0)

        rc, out = run("sipscan.py", "ports", p("good.pcap"), p("lan.pcap"))
        check("sipscan ports of split INVITEs", out.strip(), "10000 10001|10000 10001")
        with open(p("expect.txt"), "w") as f:
            f.write(f"== call established 1.0\n{base.exp_line(10001)}\n== call after BYE +0.3s 2.0\n")
        with open(p("events.txt"), "w") as f:
            f.write(f"[1.0]\t    [NEW] {base.exp_line(10000)}\n")
        rc, _ = run("pinholes.py", "--wan", p("good.pcap"), "--lan", p("lan.pcap"),
                    "--expect", p("expect.txt"), "--events", p("events.txt"), "--alg", "sipalgd")
        check("pinholes of a split INVITE", rc, 0)

        rc, out = run("tcpsplit.py", p("lan.pcap"), p("good.pcap"))
        check("tcpsplit four segments", rc, 0)
        check("tcpsplit counts them", '"segments": 4' in out, True)   # 3 cuts -> 4 segments
        check("tcpsplit names the cut in c=", "IP4 192.16|8.1.10" in out, True)
        rc, out = run("tcpsplit.py", p("retrans.pcap").replace("retrans", "lan"), p("retrans.pcap"))
        check("tcpsplit a re-sent segment counts once", '"segments": 4, "sizes"' in out.split('"wan"')[1], True)
        check("tcpsplit INVITE in one segment fails", run("tcpsplit.py", p("one.pcap"), p("good.pcap"))[0], 1)
        check("tcpsplit no INVITE at all fails", run("tcpsplit.py", p("none.pcap"), p("good.pcap"))[0], 1)
    for f in fails:
        print("FAIL", f)
    print(f"selftest_tcp: {'FAIL' if fails else 'ok'} ({len(fails)} failed)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
