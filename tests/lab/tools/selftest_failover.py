#!/usr/bin/env python3
"""Self-test of the failover media judge (failwin.py), no root.

Builds captures of the backup gateway's legs for a call whose active gateway
died at t=5: media both ways through it from t=7.5 (a 2.5 s outage) passes,
with the outage measured; broken variants fail: the backup forwards nothing
to the LAN (one-way after the takeover), nothing reaches it (no takeover),
it forwards a third of the LAN phone's media.
Usage: python3 tests/lab/tools/selftest_failover.py
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from selftest_checks import frame  # noqa: E402
from selftest_flows import write_pcap, RTP  # noqa: E402

GW, FAR, PHONE = "203.0.113.1", "203.0.113.20", "192.168.1.10"


def legs(d, start=7.5, to_lan=True, lan_keep=1, none=False):
    lan, wan = [], []
    if not none:
        for i in range(int((15 - start) / 0.02)):
            t = start + i * 0.02
            lan.append((t, frame(PHONE, 10000, FAR, 10004, RTP)))
            if i % lan_keep == 0:
                wan.append((t + 0.0005, frame(GW, 10000, FAR, 10004, RTP)))
            wan.append((t + 0.005, frame(FAR, 10004, GW, 10000, RTP)))
            if to_lan:
                lan.append((t + 0.0055, frame(FAR, 10004, PHONE, 10000, RTP)))
    # signalling is not media
    lan.append((8, frame(PHONE, 5060, FAR, 5060, b"BYE sip:w1@x SIP/2.0\r\n\r\n")))
    lp, wp = os.path.join(d, "lan.pcap"), os.path.join(d, "wan.pcap")
    write_pcap(lp, lan)
    write_pcap(wp, wan)
    return lp, wp


def run(lp, wp):
    r = subprocess.run([sys.executable, os.path.join(HERE, "failwin.py"), lp, wp,
                        "--fail", "5", "--end", "15"], capture_output=True, text=True)
    return r.returncode, json.loads(r.stdout)


def main():
    bad = 0
    cases = [("good", {}, 0), ("one-way after the takeover", {"to_lan": False}, 1),
             ("no takeover", {"none": True}, 1), ("a third forwarded", {"lan_keep": 3}, 1)]
    for name, kw, want in cases:
        with tempfile.TemporaryDirectory() as d:
            rc, res = run(*legs(d, **kw))
        ok = rc == want
        if name == "good":
            ok = ok and res["outage_s"] == {"lan_to_wan": 2.5, "wan_to_lan": 2.51}
        print(f"{'ok' if ok else 'FAIL'}: {name}: rc {rc} (want {want}) {res}")
        bad += not ok
    print(f"{len(cases) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
