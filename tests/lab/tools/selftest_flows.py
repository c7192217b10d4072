#!/usr/bin/env python3
"""Self-test of the mid-call flow judges (portmove.py, idlegap.py), no root.

Builds captures of a call whose LAN port moves 31000 -> 31010 (gateway
public ports 10000 -> 10010) and checks portmove.py passes it and fails each
broken variant: the inside port on the WAN, a private Contact, no pinhole for
the new port, media lost after the move, a hold that announced the inside
port. idlegap.py: a call after a long idle passes, one right after the
REGISTER fails (proved nothing), one with no 2xx to REGISTER fails.
Usage: python3 tests/lab/tools/selftest_flows.py
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from selftest_checks import frame  # noqa: E402

GW, FAR, PHONE, PBX = "203.0.113.1", "203.0.113.20", "192.168.1.11", "203.0.113.10"
RTP = b"\x80\x00" + b"\0" * 10 + b"a" * 160


def write_pcap(path, pkts):
    """pkts: (ts, frame)"""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in sorted(pkts, key=lambda x: x[0]):
            f.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)), len(fr), len(fr)) + fr)


def sip(start, addr, port, contact, hold=False):
    sdp = (f"v=0\r\no=- 1 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {'0.0.0.0' if hold else addr}\r\n"
           f"t=0 0\r\nm=audio {port} RTP/AVP 0\r\n").encode()
    return (f"{start}\r\nVia: SIP/2.0/UDP {contact}:5060;branch=z9hG4bK-1\r\nCall-ID: c-{PHONE}\r\n"
            f"CSeq: 1 X\r\nContact: <sip:l2@{contact}:5060>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n").encode() + sdp


def move_call(lan_path, wan_path, wan_ports=(10000, 10010), contact=GW, hold_port=None,
              lost_after=False):
    """INVITE at t=1, (hold at t=3), the move (UPDATE) at t=5, BYE at t=10."""
    lan, wan = [], []
    moves = [(1, 31000, wan_ports[0], False), (5, 31010, wan_ports[1], False)]
    if hold_port is not None:
        moves.insert(1, (3, 31000, hold_port, True))
    for t, inside, pub, hold in moves:
        first = "INVITE sip:w1@x SIP/2.0" if t == 1 else "UPDATE sip:w1@x SIP/2.0"
        lan.append((t, frame(PHONE, 5060, FAR, 5060, sip(first, PHONE, inside, PHONE, hold))))
        wan.append((t + 0.001, frame(GW, 5060, FAR, 5060, sip(first, GW, pub, contact, hold))))
    for i in range(int(4.5 / 0.02)):   # media on the new port, t = 5.2 .. 9.7
        t = 5.2 + i * 0.02
        lan.append((t, frame(PHONE, 31010, FAR, 20000, RTP)))
        wan.append((t + 0.0005, frame(GW, wan_ports[1], FAR, 20000, RTP)))
        wan.append((t + 0.005, frame(FAR, 20000, GW, wan_ports[1], RTP)))
        if not lost_after:
            lan.append((t + 0.0055, frame(FAR, 20000, PHONE, 31010, RTP)))
    lan.append((10, frame(PHONE, 5060, FAR, 5060, b"BYE sip:w1@x SIP/2.0\r\n\r\n")))
    wan.append((10.001, frame(GW, 5060, FAR, 5060, b"BYE sip:w1@x SIP/2.0\r\n\r\n")))
    write_pcap(lan_path, lan)
    write_pcap(wan_path, wan)


def events(path, ports):
    with open(path, "w") as f:
        for p in ports:
            f.write(f"[5.000100]\t    [NEW] 300 proto=17 src={FAR} dst={GW} sport=0 dport={p} "
                    f"mask-src=255.255.255.255 mask-dst=255.255.255.255 sport=0 dport=65535 "
                    f"master-src={PHONE} master-dst={FAR} sport=5060 dport=5060 class=1 helper=sipalg\n")


def run(tool, *args):
    return subprocess.run([sys.executable, os.path.join(HERE, tool), *args],
                          capture_output=True, text=True).returncode


def main():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append(f"{name}: got {got}, want {want}")

    with tempfile.TemporaryDirectory() as d:
        def p(n):
            return os.path.join(d, n)

        def judge(case, *extra, ev=(10010, 10011)):
            events(p(f"{case}.ev"), ev)
            return run("portmove.py", p(f"{case}.lan"), p(f"{case}.wan"), "--inside", PHONE,
                       "--ports", "31000,31010", "--events", p(f"{case}.ev"), "--alg", "sipalgd", *extra)
        move_call(p("good.lan"), p("good.wan"))
        check("portmove good", judge("good"), 0)
        check("portmove no pinhole for the new port", judge("good", ev=(10000,)), 1)
        move_call(p("leak.lan"), p("leak.wan"), wan_ports=(31000, 10010))
        check("portmove inside port on the WAN", judge("leak"), 1)
        move_call(p("priv.lan"), p("priv.wan"), contact=PHONE)
        check("portmove private Contact", judge("priv"), 1)
        move_call(p("lost.lan"), p("lost.wan"), lost_after=True)
        check("portmove media lost after the move", judge("lost"), 1)
        move_call(p("hold.lan"), p("hold.wan"), hold_port=10000)
        check("portmove hold on the public port", judge("hold", "--hold"), 0)
        move_call(p("holdleak.lan"), p("holdleak.wan"), hold_port=31000)
        check("portmove hold on the inside port", judge("holdleak", "--hold"), 1)
        check("portmove --hold without a hold", judge("good", "--hold"), 1)

        reg = sip("REGISTER sip:pbx SIP/2.0", GW, 0, GW)
        ok = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContact: <sip:l1@203.0.113.1>;expires=300\r\n\r\n"
        bad = b"SIP/2.0 403 Forbidden\r\nCSeq: 1 REGISTER\r\n\r\n"
        inv = b"INVITE sip:l1@203.0.113.1 SIP/2.0\r\n\r\n"
        for name, answer, t_inv in (("idle", ok, 30.0), ("short", ok, 5.0), ("noreg", bad, 30.0)):
            write_pcap(p(f"{name}.pcap"), [(1.0, frame(GW, 5060, PBX, 5060, reg)),
                                           (1.01, frame(PBX, 5060, GW, 5060, answer)),
                                           (t_inv, frame(PBX, 5060, GW, 5060, inv))])
        args = ("--pbx", PBX, "--timeout", "8")
        check("idlegap idle past the timeout", run("idlegap.py", p("idle.pcap"), "--dial", "29.9", *args), 0)
        check("idlegap call too soon", run("idlegap.py", p("short.pcap"), "--dial", "4.9", *args), 1)
        check("idlegap no registration", run("idlegap.py", p("noreg.pcap"), "--dial", "29.9", *args), 1)

    for f in fails:
        print("FAIL", f)
    print("selftest_flows:", "ok" if not fails else f"{len(fails)} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
