#!/usr/bin/env python3
"""Self-test of the attended-transfer judges (replaces.py, rtptone.py), no root.

Builds captures of a good attended transfer's signalling and of broken ones
(the Refer-To rewritten on the way, a Replaces whose to-tag or Call-ID is not
the consultation dialog's, no REFER at all) and RTP flows carrying a tone, the
wrong tone, silence and too little of it, and asserts each judge's verdict.
Usage: python3 tests/lab/tools/selftest_xfer.py
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import audioop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from selftest_checks import frame, write_pcap  # noqa: E402

GW, L1, W1, W2 = "203.0.113.1", "192.168.1.10", "203.0.113.20", "203.0.113.21"
CID = "c///atx-1-42@192.168.1.10"
GOOD_RT = ("<sip:w2@203.0.113.21:5060?Replaces=c///atx-1-42%40192.168.1.10"
           "%3Bto-tag%3Dw2atx1%3Bfrom-tag%3D1atx2>")


def msg(start, hdrs):
    return ("\r\n".join([start] + hdrs) + "\r\n\r\n").encode()


def consult(src, to_tag="w2atx1"):
    """The consultation INVITE (leaving from src) and w2's 200 to it."""
    inv = msg("INVITE sip:w2@203.0.113.21:5060 SIP/2.0",
              [f"From: <sip:l1@{src}>;tag=1atx2", "To: <sip:w2@203.0.113.21>", f"Call-ID: {CID}",
               "CSeq: 1 INVITE"])
    ok = msg("SIP/2.0 200 OK", [f"From: <sip:l1@{src}>;tag=1atx2", f"To: <sip:w2@203.0.113.21>;tag={to_tag}",
                                f"Call-ID: {CID}", "CSeq: 1 INVITE"])
    return inv, ok


def refer(refer_to):
    return msg("REFER sip:w1@203.0.113.20:5060 SIP/2.0",
               ["Call-ID: atx-1-42@192.168.1.10", "CSeq: 3 REFER", f"Refer-To: {refer_to}"])


def legs(d, name, lan_rt=GOOD_RT, wan_rt=GOOD_RT, to_tag="w2atx1", with_refer=True):
    inv_l, ok_l = consult(L1)
    inv_w, ok_w = consult(GW, to_tag)
    lan = [frame(L1, 5060, W2, 5060, inv_l), frame(W2, 5060, L1, 5060, ok_l)]
    wan = [frame(GW, 5060, W2, 5060, inv_w), frame(W2, 5060, GW, 5060, ok_w)]
    if with_refer:
        lan.append(frame(L1, 5060, W1, 5060, refer(lan_rt)))
        wan.append(frame(GW, 5060, W1, 5060, refer(wan_rt)))
    lp, wp = os.path.join(d, f"{name}-lan.pcap"), os.path.join(d, f"{name}-wan.pcap")
    write_pcap(lp, lan)
    write_pcap(wp, wan)
    return lp, wp


def rtp_flow(path, src, dst, hz, seconds, amp=12000):
    frames, seq = [], 0
    for p in range(int(seconds * 50)):
        pcm = b"".join(struct.pack("<h", int(amp * math.sin(2 * math.pi * hz * (p * 160 + i) / 8000)))
                       for i in range(160))
        hdr = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, p * 160, 0x1234)
        frames.append(frame(src, 20000, dst, 10000, hdr + audioop.lin2ulaw(pcm, 2)))
        seq += 1
    write_pcap(path, frames)


def run(tool, *args):
    r = subprocess.run([sys.executable, os.path.join(HERE, tool), *args], capture_output=True, text=True)
    return r.returncode, json.loads(r.stdout)


def main():
    fails = 0

    def check(what, cond, out):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            fails += 1
            print("     ", out)

    with tempfile.TemporaryDirectory() as d:
        rc, out = run("replaces.py", *legs(d, "good"))
        check("replaces: intact Refer-To naming the consultation dialog passes", rc == 0, out)
        check("replaces: it names the unescaped Call-ID", out.get("replaces", {}).get("call_id") == CID, out)
        rewritten = GOOD_RT.replace("%40192.168.1.10", "%40203.0.113.1")
        rc, out = run("replaces.py", *legs(d, "rewritten", wan_rt=rewritten))
        check("replaces: a Refer-To rewritten on the way (Call-ID's host) fails", rc == 1, out)
        rc, out = run("replaces.py", *legs(d, "tag", to_tag="other"))
        check("replaces: a to-tag that is not the target's fails", rc == 1, out)
        unescaped = GOOD_RT.replace("%3B", ";").replace("%3D", "=")
        rc, out = run("replaces.py", *legs(d, "unesc", lan_rt=unescaped, wan_rt=unescaped))
        check("replaces: a Replaces with raw ';' '=' (not a URI header value) fails", rc == 1, out)
        rc, out = run("replaces.py", *legs(d, "none", with_refer=False))
        check("replaces: no REFER on the WAN leg fails", rc == 1, out)

        p = os.path.join(d, "rtp.pcap")
        rtp_flow(p, W1, L1, 900, 3)
        rc, out = run("rtptone.py", p, W1, L1, "900")
        check("rtptone: 3 s of the expected tone passes", rc == 0 and out["expected_s"] >= 2.5, out)
        rc, out = run("rtptone.py", p, W1, L1, "1100")
        check("rtptone: the wrong talker's tone fails", rc == 1, out)
        rc, out = run("rtptone.py", p, W2, L1, "900")
        check("rtptone: another flow (no packets) fails", rc == 1 and out["packets"] == 0, out)
        rtp_flow(p, W1, L1, 900, 1)
        rc, out = run("rtptone.py", p, W1, L1, "900")
        check("rtptone: 1 s of it, less than the 1.5 s asked, fails", rc == 1, out)
        rtp_flow(p, W1, L1, 900, 3, amp=0)
        rc, out = run("rtptone.py", p, W1, L1, "900")
        check("rtptone: silence fails", rc == 1, out)
    print(f"{'FAILED' if fails else 'passed'}: {fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
