#!/usr/bin/env python3
"""Write a G.711 mu-law WAV tone for sipp's rtp_stream (payload type 0).

Usage: mktone.py OUT.wav HZ [SECONDS]
"""
import warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import audioop  # noqa: E402  deprecated in 3.11 but present; the lab has only the stdlib
import math
import struct
import sys



def main():
    out, hz = sys.argv[1], float(sys.argv[2])
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    rate = 8000
    pcm = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / rate)))
                   for i in range(int(rate * secs)))
    ulaw = audioop.lin2ulaw(pcm, 2)
    # the wave module writes only PCM headers: write the mu-law (format 7) one by hand
    fmt = struct.pack("<HHIIHH", 7, 1, rate, rate, 1, 8)
    with open(out, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(ulaw)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"data" + struct.pack("<I", len(ulaw)) + ulaw)


if __name__ == "__main__":
    main()
