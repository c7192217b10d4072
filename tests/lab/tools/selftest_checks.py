#!/usr/bin/env python3
"""Self-test of the lab's call checkers (pinholes.py, wanleg.py, trunkjudge.py), no root.

Builds small captures and expectation listings of a good call and of broken
ones (RTP from a masquerade port, a private Contact on the WAN leg, an RTCP
pinhole never created, a pinhole left after the BYE, a pinhole of another
helper; trunk pinholes that outlive their call or a call end left unsampled)
and asserts each checker's verdict; callcheck.py's talk time when the guest
stalled (the talker sent less) against a gateway that lost media. Usage: python3 tests/lab/tools/selftest_checks.py
"""
import json
import os
import math
import struct
import subprocess
import sys
import tempfile
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
GW, PBX, FAR, PHONE = "203.0.113.1", "203.0.113.10", "203.0.113.20", "192.168.1.10"
RELAY = "203.0.113.11"   # the NAT-aware provider's rtpengine


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


def write_tone(path, hz, secs):
    """16-bit mono 8 kHz, as baresip's sndfile records what a phone decoded."""
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(int(8000 * secs))))


def write_rtp(path, src, secs, start=100.0):
    """secs of 20 ms PCMU packets from src, then one RTCP (not audio)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        n = int(secs / 0.02)
        pkts = [(start + i * 0.02, b"\x80\x00" + struct.pack("!HI", i, 160 * i) + b"SSRC" + b"\xff" * 160)
                for i in range(n)] + [(start + 1, RTCP)]
        for ts, payload in pkts:
            fr = frame(src, 10000, GW, 10000, payload)
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)) + fr)


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
        # workers = 2 (docs/workers.md): the flow's helper may be sipalg-1; sipalgx is not ours
        for h, want in (("sipalg-1", 0), ("sipalgx", 1)):
            with open(p("w.txt"), "w") as f:
                f.write(f"== call established 1.0\n{exp_line(10001).replace('helper=sipalg', 'helper=' + h)}\n"
                        "== call after BYE +0.3s 2.0\n")
            with open(p("w-events.txt"), "w") as f:
                f.write(f"[1.0]\t    [NEW] {exp_line(10000).replace('helper=sipalg', 'helper=' + h)}\n")
            check(f"pinholes owned by helper {h}",
                  run("pinholes.py", "--wan", p("good.pcap"), "--lan", p("lan.pcap"), "--expect", p("w.txt"),
                      "--alg", "sipalgd", "--events", p("w-events.txt")), want)
        # trunk: INVITEs at 0-1.5 s, BYEs at 5, 8, 11, 14 s (call 3 ends first)
        events = "".join(f"{100 + t} INVITE\n" for t in (0, 0.5, 1, 1.5)) + \
            "".join(f"{100 + t} BYE\n" for t in (5, 8, 11, 14))
        with open(p("trunk-events.txt"), "w") as f:
            f.write(events)
        # each call's inbound RTP+RTCP pinholes: NEW at its INVITE, DESTROY at its BYE
        starts, ends = (0, 0.5, 1, 1.5), (14, 11, 8, 5)

        def pin_events(end_of=None, skip_destroy=(), extra=()):
            rows = []
            for c in range(4):
                for port in (10000 + 2 * c, 10001 + 2 * c):
                    rows.append((100 + starts[c] + 0.01, "NEW", port))
                    if c not in skip_destroy:
                        rows.append((100 + (end_of or {}).get(c, ends[c]) + 0.01, "DESTROY", port))
            rows += list(extra)
            with open(p("trunk-expect.txt"), "w") as f:
                for t, kind, port in sorted(rows):
                    f.write(f"[{t:.6f}]\t    [{kind}] 300 " + exp_line(port).split(" ", 1)[1] + "\n")

        def trunk(samples=((3, 4), (6.5, 3), (9.5, 2), (12.5, 1), (15, 0)), sipp_exit="0"):
            with open(p("trunk-samples.txt"), "w") as f:
                f.write("".join(f"{100 + a} {100 + a + 0.5} {n}\n" for a, n in samples))
            return run("trunkjudge.py", p("trunk-samples.txt"), p("trunk-events.txt"), sipp_exit,
                       "--expect-events", p("trunk-expect.txt"), "--public", GW)
        pin_events()
        check("trunk good", trunk(), 0)
        check("trunk samples near events are not judged", trunk(((3, 4), (7.9, 9))), 0)
        check("trunk sample disagrees", trunk(((3, 4), (9.5, 3))), 1)
        check("trunk sipp failed", trunk(sipp_exit="1"), 1)
        pin_events(skip_destroy=(2,))
        check("trunk pinhole outlives its BYE", trunk(samples=()), 1)
        pin_events(end_of={0: 5, 1: 5, 2: 5, 3: 5})
        check("trunk one call's BYE takes all pinholes", trunk(samples=()), 1)
        pin_events(extra=[(100 + 2, "DESTROY", 10002)])
        check("trunk a live call loses its pinhole", trunk(samples=()), 1)
        # who heard whom: w1 recorded 10 s of l1's 500 Hz in a 24 s call window
        write_tone(p("heard.wav"), 500, 10)

        def heard(rtp_secs, window=True):
            write_rtp(p("l1-rtp.pcap"), PHONE, rtp_secs)
            extra = ["--start", "100", "--lan-pcap", p("l1-rtp.pcap"),
                     "--wan-pcap", p("none.pcap")] if window else []
            return run("callcheck.py", "--talk", "24", *extra, f"w1:500:{p('heard.wav')}:{PHONE}")
        check("callcheck stalled guest: talker sent 10 s of 24", heard(10), 0)
        check("callcheck gateway lost 14 s of the talker's 24 s", heard(24), 1)
        check("callcheck talker sent nothing: wall clock", heard(0), 1)
        check("callcheck without captures: wall clock", heard(10, window=False), 1)
        # a WAN talker's media through the provider's relay (--pbx nataware|anchored)
        write_rtp(p("relay-rtp.pcap"), RELAY, 10)

        def relayed(talkers):
            return run("callcheck.py", "--talk", "24", "--start", "100", "--lan-pcap", p("none.pcap"),
                       "--wan-pcap", p("relay-rtp.pcap"), f"l1:500:{p('heard.wav')}:{talkers}")
        check("callcheck stalled guest, talker's media via the relay", relayed(f"{FAR},{RELAY}"), 0)
        check("callcheck stalled guest, relay not named: wall clock", relayed(FAR), 1)
        write_tone(p("heard.wav"), 700, 10)
        check("callcheck stalled guest, but the wrong talker heard", heard(10), 1)
        # summary.py: a profile axis (run.sh --pbx); an old line without "pbx" is plain
        os.makedirs(p("res"))

        def summary(nat_pass, pbxs="plain nataware"):
            lines = [{"scenario": "call-out", "alg": "sipalgd", "place": "vm", "rep": 1, "pass": True,
                      "evidence": {}},
                     {"scenario": "call-out", "alg": "sipalgd", "pbx": "nataware", "place": "vm", "rep": 1,
                      "pass": nat_pass, "evidence": {}}]
            with open(p("res/reps-vm.jsonl"), "w") as f:
                f.write("".join(json.dumps(ln) + "\n" for ln in lines))
            rc = run("summary.py", "--results", p("res"), "--algs", "sipalgd", "--pbxs", pbxs)
            with open(p("res/summary.json")) as f:
                rows = {(r["pbx"], r["pass"]) for r in json.load(f)}
            with open(p("res/summary.md")) as f:
                md = f.read()
            return rc, rows, md
        rc, rows, md = summary(True)
        check("summary two profiles pass", (rc, rows), (0, {("plain", True), ("nataware", True)}))
        check("summary column groups", "| | plain | nataware |" in md and "| call-out | PASS" in md, True)
        rc, rows, md = summary(False)
        check("summary a nataware sipalgd row failed", (rc, rows), (1, {("plain", True), ("nataware", False)}))
        rc, rows, md = summary(False, "plain")
        check("summary one profile: the old table", (rc, rows, "| scenario | sipalgd |" in md),
              (0, {("plain", True)}, True))
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
