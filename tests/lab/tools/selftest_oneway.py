#!/usr/bin/env python3
"""Self-test of tools/oneway.py (announce-v6: far media to a silent LAN phone), no root.

Builds the gateway's two captures of an IPv6 call with timestamps: the far
end's PCMU (a 900 Hz tone, 20 ms packets) on the WAN leg and what of it the
gateway delivered on the LAN leg, and asserts the verdict and the numbers
oneway.py reports: all delivered to a silent phone passes with about the
tone's seconds; nothing or half delivered fails (under 90%, the bound
itself passes); a phone that sends RTP fails, one that sends only RTCP does
not; another tone fails --tone 900; packets outside --start+--skip/--end
do not count; too few far packets fail. And the --expect listings
(`conntrack -L expect -f ipv6` samples and `conntrack -E expect` events):
a routed pinhole (src=far dst=phone), NAT66 ones (dst= the gateway's public
2001:db8:113::1 and a public port mapped to the phone, by the captures or by
the pinhole's master; conntrack prints no expectation's NAT part) and ones
that are not the phone's. Usage: python3 tests/lab/tools/selftest_oneway.py
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
import audioop  # noqa: E402  deprecated in 3.11 but present (tools/mktone.py)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from selftest_v6 import frame6  # noqa: E402

GW6, PBX6, FAR6, PHONE6 = "2001:db8:113::1", "2001:db8:113::10", "2001:db8:113::20", "2001:db8:1::10"
OTHER6 = "2001:db8:1::11"          # another LAN phone
FAR_PORT, PHONE_PORT = 20000, 10000
PUBLIC_PORT = 20022                # NAT66: the gateway's public port for the phone's 10000
M = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
START, END = 100.0, 106.0          # --start / --end; the default --skip 0.5
MEDIA_T0, MEDIA_N = 100.6, 200     # the far end's 4 s of RTP inside the window


def pcmu_tone(hz, n):
    """n 20 ms PCMU payloads of a tone, as sipp streams mktone.py's WAV"""
    pcm = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / 8000)))
                   for i in range(160 * n))
    ulaw = audioop.lin2ulaw(pcm, 2)
    return [ulaw[160 * i:160 * (i + 1)] for i in range(n)]


def rtp(seq, payload, ssrc=0x1234):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, 160 * seq, ssrc) + payload


RTCP_RR = b"\x81\xc9\x00\x07" + b"\0" * 28   # a receiver report (type 201)


def far_stream(dst, dport, hz=900, n=MEDIA_N, t0=MEDIA_T0, keep=lambda i: True):
    """(ts, frame) of the far end's RTP from [FAR6]:20000 to dst:dport, the packets keep() keeps"""
    return [(t0 + 0.02 * i, frame6(FAR6, FAR_PORT, dst, dport, rtp(i, p)))
            for i, p in enumerate(pcmu_tone(hz, n)) if keep(i)]


def write_pcap(path, recs):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in sorted(recs, key=lambda r: r[0]):
            sec, usec = divmod(int(round(ts * 1e6)), 1000000)
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)
    return path


def exp_line(src, dst, dport, master=PHONE6, helper="sipalg"):
    """a `conntrack -L expect -f ipv6` line as conntrack-tools prints it: the
    expected tuple, its mask, the master's tuple, class, helper (no NAT part)"""
    return (f"299 proto=17 src={src} dst={dst} sport=0 dport={dport} mask-src={M} mask-dst={M} "
            f"sport=0 dport=65535 master-src={master} master-dst={PBX6} sport=5060 dport=5060 "
            f"class=1 helper={helper}")


def out_line(dport=FAR_PORT):
    """sipalgd's outbound one (symmetric media from the phone): not an inbound pinhole"""
    return (f"299 proto=17 src={PHONE6} dst={FAR6} sport={PHONE_PORT} dport={dport} mask-src={M} "
            f"mask-dst={M} sport=65535 dport=65535 master-src={PHONE6} master-dst={PBX6} sport=5060 "
            f"dport=5060 class=1 helper=sipalg")


def main():
    fails = []

    def check(name, got, want):
        if got != want:
            fails.append(f"{name}: got {got}, want {want}")

    with tempfile.TemporaryDirectory() as d:
        def f(n):
            return os.path.join(d, n)

        def judge(lan, wan, *extra, tone=900):
            args = [sys.executable, os.path.join(HERE, "oneway.py"), write_pcap(f("lan.pcap"), lan),
                    write_pcap(f("wan.pcap"), wan), "--phone", PHONE6, "--far", FAR6,
                    "--start", str(START), "--end", str(END), *extra]
            if tone:
                args += ["--tone", str(tone)]
            r = subprocess.run(args, capture_output=True, text=True)
            try:
                res = json.loads(r.stdout)
            except ValueError:
                res = {"pass": None, "summary": r.stdout + r.stderr}
            return r.returncode, res

        def counts(res, *keys):
            return tuple(res.get(k) for k in keys)

        routed_wan = far_stream(PHONE6, PHONE_PORT)
        routed_lan = far_stream(PHONE6, PHONE_PORT)

        # 1. all delivered, the phone silent: pass, 4 s of 900 Hz of 4 s sent
        rc, r = judge(routed_lan, routed_wan)
        check("delivered: rc, pass", (rc, r.get("pass")), (0, True))
        check("delivered: counts", counts(r, "far_in", "to_lan", "lan_rtp_out", "lan_rtcp_out", "lan_rtp_wan"),
              (200, 200, 0, 0, 0))
        t = r.get("tone") or {}
        check("delivered: tone heard", (t.get("dominant_hz"), t.get("far_sent_s"), r.get("tone_heard")),
              (900, 4.0, True))
        check("delivered: 900 Hz seconds about 4", 3.4 <= (t.get("s") or 0) <= 4.0, True)
        check("delivered: window, ports", (r.get("window_s"), r.get("far_ports"), r.get("far_sources")),
              (5.5, [PHONE_PORT], [FAR6]))
        check("delivered: summary", "far->LAN RTP 200 of 200 delivered" in r.get("summary", ""), True)

        # 2. nothing delivered (the firewall dropped it): fail
        rc, r = judge([], routed_wan)
        check("dropped: rc, pass, delivered", (rc, r.get("pass"), r.get("delivered"), r.get("far_sent")),
              (1, False, False, True))
        check("dropped: counts, tone", counts(r, "far_in", "to_lan") + ((r.get("tone") or {}).get("s"),),
              (200, 0, 0.0))

        # 3. half delivered: fail; 90% is enough, one packet fewer is not
        half = far_stream(PHONE6, PHONE_PORT, keep=lambda i: i % 2 == 0)
        rc, r = judge(half, routed_wan)
        check("half: rc, pass, delivered", (rc, r.get("pass"), r.get("delivered")), (1, False, False))
        check("half: counts", counts(r, "far_in", "to_lan"), (200, 100))
        rc, r = judge(far_stream(PHONE6, PHONE_PORT, keep=lambda i: i < 180), routed_wan, tone=None)
        check("90%: pass", (rc, r.get("to_lan"), r.get("delivered")), (0, 180, True))
        rc, r = judge(far_stream(PHONE6, PHONE_PORT, keep=lambda i: i < 179), routed_wan, tone=None)
        check("89.5%: fail", (rc, r.get("to_lan"), r.get("delivered")), (1, 179, False))

        # 4. delivered, but the phone sent RTP too (on both legs): fail, nothing proved
        talk = [(MEDIA_T0 + 0.01 + 0.02 * i, frame6(PHONE6, PHONE_PORT, FAR6, FAR_PORT, rtp(i, b"\xff" * 160, 9)))
                for i in range(150)]
        rc, r = judge(routed_lan + talk, routed_wan + talk)
        check("phone talks: rc, pass, silent, delivered", (rc, r.get("pass"), r.get("lan_silent"),
                                                            r.get("delivered")), (1, False, False, True))
        check("phone talks: counts", counts(r, "to_lan", "lan_rtp_out", "lan_rtp_wan"), (200, 150, 150))
        check("phone talks: summary", "it is not silent" in r.get("summary", ""), True)

        # 5. delivered, but another tone (500 Hz): fail with --tone 900, pass without
        other = far_stream(PHONE6, PHONE_PORT, hz=500)
        rc, r = judge(other, far_stream(PHONE6, PHONE_PORT, hz=500))
        t = r.get("tone") or {}
        check("500 Hz: rc, pass, tone_heard, delivered", (rc, r.get("pass"), r.get("tone_heard"),
                                                           r.get("delivered")), (1, False, False, True))
        check("500 Hz: heard", (t.get("s"), t.get("dominant_hz")), (0.0, 500))
        rc, r = judge(other, far_stream(PHONE6, PHONE_PORT, hz=500), tone=None)
        check("500 Hz without --tone: pass", (rc, r.get("pass"), "tone" in r), (0, True, False))

        # 6. RTCP from the phone only (receiver reports from RTP port + 1): pass, reported
        rr = [(101.0 + i, frame6(PHONE6, PHONE_PORT + 1, FAR6, FAR_PORT + 1, RTCP_RR)) for i in range(4)]
        rc, r = judge(routed_lan + rr, routed_wan + rr)
        check("phone RTCP only: rc, pass, silent", (rc, r.get("pass"), r.get("lan_silent")), (0, True, True))
        check("phone RTCP only: counts", counts(r, "lan_rtcp_out", "lan_rtp_out", "lan_rtp_wan"), (4, 0, 0))
        check("phone RTCP only: summary", "RTCP 4" in r.get("summary", ""), True)

        # 7. the window: the phone's RTP before start+skip and after end, and far RTP
        # after end that was never delivered, do not count; with the window widened they do
        early = [(100.1 + 0.02 * i, frame6(PHONE6, PHONE_PORT, FAR6, FAR_PORT, rtp(i, b"\xff" * 160, 9)))
                 for i in range(10)]
        late = [(106.5 + 0.02 * i, frame6(PHONE6, PHONE_PORT, FAR6, FAR_PORT, rtp(i, b"\xff" * 160, 9)))
                for i in range(10)]
        late_far = far_stream(PHONE6, PHONE_PORT, n=50, t0=106.2)
        rc, r = judge(routed_lan + early + late, routed_wan + late_far)
        check("outside the window: pass", (rc, r.get("pass")), (0, True))
        check("outside the window: counts", counts(r, "far_in", "to_lan", "lan_rtp_out"), (200, 200, 0))
        rc, r = judge(routed_lan + early + late, routed_wan + late_far, "--skip", "0")
        check("--skip 0: the early RTP counts", (rc, r.get("lan_rtp_out"), r.get("window_s")), (1, 10, 6.0))
        rc, r = judge(routed_lan + early + late, routed_wan + late_far, "--end", "108")
        check("--end 108: the late packets count", (rc, counts(r, "far_in", "to_lan", "lan_rtp_out")),
              (1, (250, 200, 10)))

        # 8. too few far packets: nothing to judge, fail
        few = far_stream(PHONE6, PHONE_PORT, n=20)
        rc, r = judge(few, few)
        check("20 far packets: fail", (rc, r.get("far_sent"), r.get("far_in")), (1, False, 20))
        check("20 far packets: summary", "under 25 RTP packets" in r.get("summary", ""), True)

        # 9. --expect, routed: the kernel helper's pinhole admits only the signalling
        # peer (sip_direct_media=1), listed beside the far end's media source
        def listing(name, *blocks):
            with open(f(name), "w") as fh:
                for label, lines in blocks:
                    fh.write(f"== {label} 101.0\n" + "".join(ln + "\n" for ln in lines))
            return f(name)

        def events(name, *lines):
            with open(f(name), "w") as fh:
                fh.write("".join(f"[101.{i}]\t    [NEW] {ln}\n" for i, ln in enumerate(lines)))
            return f(name)

        kern = listing("kernel.txt", ("call established", [
            exp_line(PBX6, PHONE6, PHONE_PORT, helper="sip"), exp_line(PBX6, PHONE6, PHONE_PORT + 1, helper="sip"),
            exp_line(FAR6, OTHER6, PHONE_PORT, master=OTHER6, helper="sip")]), ("call after BYE +0.2s", []))
        rc, r = judge([], routed_wan, "--expect", kern)
        check("routed kernel pinhole: fail, admits the provider", (rc, r.get("pinholes_admit"),
                                                                   r.get("pinholes_nat")), (1, [PBX6], {}))
        check("routed kernel pinhole: summary",
              f"far media from {FAR6}, the inbound pinholes to the phone's port admit {PBX6}" in r.get("summary", ""),
              True)
        alg = listing("routed.txt", ("call established", [
            exp_line(FAR6, "2001:0db8:0001:0000::0010", PHONE_PORT), out_line()]))
        rc, r = judge(routed_lan, routed_wan, "--expect", alg, "--expect", f("missing.txt"))
        check("routed pinhole from the far end (another text form)", (rc, r.get("pinholes_admit")), (0, [FAR6]))
        rc, r = judge(routed_lan, routed_wan)
        check("no --expect: no pinholes in the summary", (rc, "pinholes" in r.get("summary", "")), (0, False))

        # 10. --expect, NAT66: the far end sends to [2001:db8:113::1]:20022, the gateway
        # delivers to [2001:db8:1::10]:10000; the pinhole's expected tuple is src=far
        # dst=public dport=public port (sipalgd's NAT part, which conntrack does not
        # print, maps it to the phone)
        nat_wan = far_stream(GW6, PUBLIC_PORT)
        nat_lan = far_stream(PHONE6, PHONE_PORT)
        n66 = listing("nat66.txt", ("call established", [
            out_line(), exp_line(FAR6, GW6, PUBLIC_PORT + 1), exp_line(FAR6, GW6, PUBLIC_PORT)]),
            ("call after BYE +0.8s", []))
        rc, r = judge(nat_lan, nat_wan, "--expect", n66)
        check("NAT66 pinhole: pass, admits the far end", (rc, r.get("pinholes_admit")), (0, [FAR6]))
        check("NAT66 pinhole: mapped by the captures", r.get("pinholes_nat"),
              {f"[{GW6}]:{PUBLIC_PORT}": {"phone_ports": [PHONE_PORT], "by": "captures", "admit": [FAR6]}})
        check("NAT66 pinhole: far ports are the public ones", r.get("far_ports"), [PUBLIC_PORT])
        check("NAT66 pinhole: summary",
              f"the inbound pinholes to the phone's port admit {FAR6} (NATed: [{GW6}]:{PUBLIC_PORT} -> the "
              f"phone's {PHONE_PORT})" in r.get("summary", ""), True)
        # only as a NEW event (media used it at once, it never showed in a listing)
        ev = events("ev.txt", exp_line(FAR6, GW6, PUBLIC_PORT), out_line())
        rc, r = judge(nat_lan, nat_wan, "--expect", listing("empty.txt", ("call established", [])),
                      "--expect", ev)
        check("NAT66 pinhole only as an event", (rc, r.get("pinholes_admit")), (0, [FAR6]))
        # nothing delivered: the pinhole admits the provider only (the kernel helper's
        # rule); the captures cannot map the port, its master (the phone's signalling) does
        prov = listing("prov.txt", ("call established", [exp_line(PBX6, GW6, PUBLIC_PORT, helper="sip")]))
        rc, r = judge([], nat_wan, "--expect", prov)
        check("NAT66 undelivered: fail, the pinhole admits the provider", (rc, r.get("pinholes_admit")),
              (1, [PBX6]))
        check("NAT66 undelivered: mapped by the master", r.get("pinholes_nat"),
              {f"[{GW6}]:{PUBLIC_PORT}": {"phone_ports": [], "by": "master", "admit": [PBX6]}})
        check("NAT66 undelivered: summary", "(NATed: [2001:db8:113::1]:20022 -> the phone's port (the "
              "pinhole's master is its signalling))" in r.get("summary", ""), True)
        # not the phone's: another LAN phone's pinhole on the public port, undelivered;
        # a public port the far media never used; the RTCP one
        nots = listing("nots.txt", ("call established", [
            exp_line(PBX6, GW6, PUBLIC_PORT, master=OTHER6), exp_line(FAR6, GW6, PUBLIC_PORT + 2),
            exp_line(FAR6, GW6, PUBLIC_PORT + 1), exp_line(FAR6, "2001:db8:113::2", PUBLIC_PORT)]))
        rc, r = judge([], nat_wan, "--expect", nots)
        check("NAT66 pinholes not the phone's port", (rc, r.get("pinholes_admit"), r.get("pinholes_nat")),
              (1, [], {}))
        check("NAT66 pinholes not the phone's port: summary", "admit none" in r.get("summary", ""), True)
        # delivered, the other phone's master but the captures map the port to this phone
        rc, r = judge(nat_lan, nat_wan, "--expect", listing("cap.txt", ("call established", [
            exp_line(FAR6, GW6, PUBLIC_PORT, master=OTHER6)])))
        check("NAT66 mapped by the captures over the master", (rc, r.get("pinholes_admit")), (0, [FAR6]))

    for x in fails:
        print("FAIL", x)
    print(f"selftest_oneway: {'FAIL' if fails else 'ok'} ({len(fails)} failed)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
