#!/usr/bin/env python3
"""RTP for the calls sipp plays: a tone sent from the port the SDP announced,
to the address and port the other side's SDP named, and a count of what
arrived on every port.

Usage: rtpagent.py --ip IP --ports P[,P...] --ctl FILE --tone HZ --lifetime S --log LOG

FILE holds one line "SRCPORT DSTIP DSTPORT" (re-read every 0.1 s); sipp's
<exec> rewrites it when an SDP moves either side, so the media follows the
signalling as a phone's would. Empty or missing: silent. Sends PCMU at 50
packets/s (160 samples, marker on the first of each burst, one SSRC per
source port). Every --ports port is bound from the start (so nothing that
arrives is refused with ICMP); a SRCPORT not in the list is bound when named.
LOG gets one JSON object, rewritten every second and at exit:
{"ports": {"P": {"rx", "tx", "rx_from": {"ip:port": n}}}, "ctl": [lines seen]}.
Bounded: exits after --lifetime seconds, or on SIGTERM.
"""
import argparse
import json
import math
import os
import select
import signal
import socket
import struct
import sys
import time


def ulaw(sample):
    """G.711 mu-law of one 16-bit linear sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    s = min(abs(sample), clip) + bias
    exp, mask = 7, 0x4000
    while exp > 0 and not s & mask:
        exp -= 1
        mask >>= 1
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def tone_frames(hz, n=50):
    """n 20 ms PCMU frames of a continuous sine at hz (one second, looped)."""
    out, k = [], 0
    for _ in range(n):
        fr = bytes(ulaw(int(12000 * math.sin(2 * math.pi * hz * (k + i) / 8000)))
                   for i in range(160))
        out.append(fr)
        k += 160
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ip", required=True)
    ap.add_argument("--ports", default="")
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--tone", type=float, default=700)
    ap.add_argument("--lifetime", type=float, default=60)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    socks, stats, ctl_seen = {}, {}, []

    def bind(port):
        if port in socks:
            return socks[port]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a.ip, port))
        s.setblocking(False)
        socks[port] = s
        stats[port] = {"rx": 0, "tx": 0, "rx_from": {}, "first_rx": None, "last_rx": None}
        return s

    for p in filter(None, a.ports.split(",")):
        bind(int(p))

    def dump():
        tmp = a.log + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"ports": {str(p): v for p, v in stats.items()}, "ctl": ctl_seen}, fh)
        os.replace(tmp, a.log)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    frames = tone_frames(a.tone)
    end = time.monotonic() + a.lifetime
    next_ctl = next_dump = next_tx = time.monotonic()
    cur, seq, ts, idx, burst = None, 0, 0, 0, True
    while not stop and time.monotonic() < end:
        now = time.monotonic()
        if now >= next_ctl:
            next_ctl = now + 0.1
            try:
                line = open(a.ctl).read().strip()
            except OSError:
                line = ""
            parts = line.split()
            want = None
            if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
                want = (int(parts[0]), parts[1], int(parts[2]))
            if want != cur:
                cur, burst = want, True
                ctl_seen.append(f"{time.time():.3f} {line or '-'}")
                if cur:
                    bind(cur[0])
        if cur and now >= next_tx:
            src, dip, dport = cur
            hdr = struct.pack("!BBHII", 0x80, (0x80 if burst else 0) | 0,
                              seq & 0xFFFF, ts & 0xFFFFFFFF, 0x5A000000 | src)
            try:
                socks[src].sendto(hdr + frames[idx], (dip, dport))
                stats[src]["tx"] += 1
            except OSError:
                pass  # unroutable (a leaked private address): counted as not sent
            seq, ts, idx, burst = seq + 1, ts + 160, (idx + 1) % len(frames), False
            next_tx += 0.02
            if next_tx < now - 0.2:  # a stall (busy guest): do not burst to catch up
                next_tx = now + 0.02
        if now >= next_dump:
            next_dump = now + 1
            dump()
        wait = max(0.0, min(next_ctl, next_tx if cur else next_ctl, next_dump) - time.monotonic())
        r, _, _ = select.select(list(socks.values()), [], [], min(wait, 0.02))
        for s in r:
            port = s.getsockname()[1]
            while True:
                try:
                    data, src = s.recvfrom(2048)
                except OSError:
                    break
                if len(data) < 12:
                    continue
                st, key = stats[port], f"{src[0]}:{src[1]}"
                st["rx"] += 1
                st["rx_from"][key] = st["rx_from"].get(key, 0) + 1
                t = round(time.time(), 3)
                st["first_rx"] = st["first_rx"] or t
                st["last_rx"] = t
    dump()
    return 0


if __name__ == "__main__":
    sys.exit(main())
