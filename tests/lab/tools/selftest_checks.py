#!/usr/bin/env python3
"""Self-test of the lab's call checkers (pinholes.py, wanleg.py), no root.

Builds small captures and expectation listings of a good call and of broken
ones (RTP from a masquerade port, a private Contact on the WAN leg, an RTCP
pinhole never created, a pinhole left after the BYE, a pinhole of another
helper) and asserts each checker's verdict. Usage: python3 tests/lab/tools/selftest_checks.py
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GW, PBX, FAR, PHONE = "203.0.113.1", "203.0.113.10", "203.0.113.20", "192.168.1.10"


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, sport, dst, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip4(src), ip4(dst))
    return b"\0" * 12 + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)


def invite(addr, port, contact):
    sdp = (f"v=0\r\no=- 1 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n"
           f"m=audio {port} RTP/AVP 0\r\na=rtcp:{port + 1}\r\n").encode()
    head = (f"INVITE sip:w1@{PBX} SIP/2.0\r\nVia: SIP/2.0/UDP {contact}:5060;branch=z9hG4bK-{PHONE}\r\n"
            f"Call-ID: x-{PHONE}\r\nContact: <sip:l1@{contact}:5060>\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n").encode()
    return head + sdp


RTP = b"\x80\x00" + b"\0" * 10 + b"a" * 160
RTCP = b"\x80\xc8" + b"\0" * 26


def call_frames(side, sdp_addr, port, contact, rtp_sport, rtcp_sport):
    src = GW if side == "wan" else PHONE
    out = [frame(src, 5060, PBX, 5060, invite(sdp_addr, port, contact))]
    out += [frame(src, rtp_sport, FAR, 4000, RTP)] * 5 + [frame(src, rtcp_sport, FAR, 4001, RTCP)]
    out += [frame(FAR, 4000, src, rtp_sport, RTP)] * 5
    return out


def exp_line(dport):
    return (f"100 proto=17 src={FAR} dst={GW} sport=0 dport={dport} mask-src=255.255.255.255 "
            f"mask-dst=255.255.255.255 sport=0 dport=65535 master-src={PHONE} master-dst={PBX} "
            f"sport=5060 dport=5060 class=1 helper=sipalg")


PERMANENT = exp_line(5060).replace("class=1", "PERMANENT class=0")


def run(tool, *args):
    r = subprocess.run([sys.executable, os.path.join(HERE, tool), *args], capture_output=True, text=True)
    return r.returncode


def main():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append(f"{name}: got {got}, want {want}")

    with tempfile.TemporaryDirectory() as d:
        def p(n):
            return os.path.join(d, n)
        write_pcap(p("lan.pcap"), call_frames("lan", PHONE, 10000, PHONE, 10000, 10001))
        write_pcap(p("good.pcap"), call_frames("wan", GW, 10000, GW, 10000, 10001))
        write_pcap(p("masq.pcap"), call_frames("wan", GW, 10000, GW, 31000, 10001))
        write_pcap(p("leak.pcap"), call_frames("wan", GW, 10000, PHONE, 10000, 10001))
        check("wanleg good", run("wanleg.py", p("good.pcap"), "--alg", "sipalgd"), 0)
        check("wanleg RTP from a masquerade port", run("wanleg.py", p("masq.pcap"), "--alg", "sipalgd"), 1)
        check("wanleg private Contact/Via", run("wanleg.py", p("leak.pcap"), "--alg", "sipalgd"), 1)
        check("wanleg kernel is reported only", run("wanleg.py", p("masq.pcap"), "--alg", "kernel"), 0)

        listings = {
            "good": [("call established", [exp_line(10001), PERMANENT]), ("call after BYE +0.3s", [PERMANENT])],
            "no-rtcp": [("call established", [exp_line(10000)]), ("call after BYE +0.3s", [])],
            "left": [("call established", [exp_line(10001)]), ("call after BYE +5.0s", [exp_line(10001)])],
            "no-after": [("call established", [exp_line(10001)])],
        }
        for name, blocks in listings.items():
            with open(p(name + ".txt"), "w") as f:
                for label, lines in blocks:
                    f.write(f"== {label} 1.0\n" + "".join(ln + "\n" for ln in lines))
        # the RTP pinhole was used before the first sample: only its NEW event shows it
        with open(p("events.txt"), "w") as f:
            f.write(f"[1.0]\t    [NEW] {exp_line(10000)}\n[1.2]\t[DESTROY] {exp_line(10000)}\n")

        def pin(listing, alg="sipalgd", events=True):
            args = ["--wan", p("good.pcap"), "--lan", p("lan.pcap"), "--expect", p(listing + ".txt"),
                    "--alg", alg]
            return run("pinholes.py", *args, *(["--events", p("events.txt")] if events else []))
        check("pinholes good", pin("good"), 0)
        check("pinholes RTP seen only as an event, without events", pin("good", events=False), 1)
        check("pinholes RTCP never created", pin("no-rtcp"), 1)
        check("pinholes left after BYE", pin("left"), 1)
        check("pinholes left after BYE, kernel judged", pin("left", "kernel"), 1)
        check("pinholes not polled after BYE", pin("no-after"), 1)
        check("pinholes no ALG is reported only", pin("left", "none"), 0)
        check("pinholes of another helper do not count", pin("good", "kernel"), 1)
    sys.path.insert(0, HERE)
    import pinholes
    check("conntrack timestamp with unpadded microseconds",
          pinholes.event_time("[1795279320.84403 ]\t[NEW] x=1") == 1795279320.084403, True)
    for f in fails:
        print("FAIL", f)
    print(f"selftest_checks: {'FAIL' if fails else 'ok'} ({len(fails)} failed)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
