#!/usr/bin/env python3
"""What did a sipp phone hear?  The tone carried by the RTP of one flow in a capture.

Usage: rtptone.py PCAP SRC_IP DST_IP HZ [--from T0] [--to T1] [--min-s S] [--label L]
Takes the UDP packets from SRC_IP to DST_IP that are not SIP (neither port
5060) and carry RTP with payload type 0 (PCMU), in capture order and between
the epoch times T0 and T1 when given, decodes them to 8 kHz PCM and classifies
each 0.25 s with tone.py's Goertzel filter. sipp sends no recording of what it
received, so the capture where the flow reaches its phone stands for its ear.
Prints JSON: packets, seconds decoded, seconds per tone, and "ok" when HZ held
at least S seconds (default 1.5); exit 0 if ok.
"""
import argparse
import json
import os
import struct
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
import audioop  # noqa: E402  deprecated in 3.11 but present (stdlib only here)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import tone  # noqa: E402

RATE = 8000
WINDOW_S = 0.25
CANDIDATES = [500.0, 700.0, 900.0, 1100.0]


def rtp_pcmu(payload):
    """The PCMU samples of one RTP packet, or None if it is not PCMU RTP."""
    if len(payload) < 12 or payload[0] >> 6 != 2 or payload[1] & 0x7F != 0:
        return None
    off = 12 + 4 * (payload[0] & 0x0F)
    if payload[0] & 0x10 and len(payload) >= off + 4:        # header extension
        off += 4 + 4 * struct.unpack("!H", payload[off + 2:off + 4])[0]
    end = len(payload)
    if payload[0] & 0x20 and end > off:                       # padding
        end -= payload[-1]
    return payload[off:end] if end > off else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("hz", type=float)
    ap.add_argument("--from", dest="t0", type=float, default=0.0)
    ap.add_argument("--to", dest="t1", type=float, default=float("inf"))
    ap.add_argument("--min-s", type=float, default=1.5)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    ulaw, n = bytearray(), 0
    for ts, frame in pcapsum.records(a.pcap):
        p = pcapsum.parse(frame)
        if (not p or p[0] != "udp" or p[1] != a.src or p[3] != a.dst or 5060 in (p[2], p[4])
                or not a.t0 <= ts <= a.t1):
            continue
        s = rtp_pcmu(p[5])
        if s is not None:
            ulaw += s
            n += 1
    pcm = audioop.ulaw2lin(bytes(ulaw), 2)
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    step = int(RATE * WINDOW_S)
    by_hz = {}
    for i in range(0, len(samples) - step + 1, step):
        hz = tone.classify(samples[i:i + step], RATE, CANDIDATES)
        if hz is not None:
            by_hz[int(hz)] = by_hz.get(int(hz), 0.0) + WINDOW_S
    got = by_hz.get(int(a.hz), 0.0)
    res = {"label": a.label, "flow": f"{a.src}->{a.dst}", "packets": n,
           "seconds": round(len(samples) / RATE, 2), "by_hz": {str(k): v for k, v in sorted(by_hz.items())},
           "expected_hz": int(a.hz), "expected_s": got, "min_s": a.min_s, "ok": got >= a.min_s}
    print(json.dumps(res))
    sys.exit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
