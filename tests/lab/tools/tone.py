#!/usr/bin/env python3
"""What did a phone hear?  Dominant frequency of a baresip recording.

Usage: tone.py WAV [--candidates 500,700,...] [--window 0.25]
Prints JSON: {"file", "seconds", "silent_s", "by_hz": {hz: seconds}, "dominant_hz"}.

The recording (sndfile's *-dec.wav) holds only the audio the phone actually
decoded, so seconds of a frequency are seconds of that talker heard.  Each
window is classified by a Goertzel filter: first the known phone tones
(candidates), and when none of them dominates, a coarse 50 Hz scan so an
unexpected sound is still named.  Plain python3 (no numpy on the lab hosts).
"""
import argparse
import array
import json
import math
import struct
import sys
import wave

SILENCE_RMS = 200.0      # of 32767: below this a window counts as silence
DOMINANT_SHARE = 0.5     # a tone owns a window when it holds this share of its energy
SLICE_S = 0.1            # analysed part of each window (10 Hz bins at 8 kHz)


def goertzel_share(samples, rate, hz, energy):
    """Share (0..1) of the window's energy at frequency hz."""
    n = len(samples)
    k = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2.0 * power / (n * energy) if energy > 0 else 0.0


def classify(samples, rate, candidates):
    energy = sum(x * x for x in samples)
    rms = math.sqrt(energy / len(samples))
    if rms < SILENCE_RMS:
        return None
    best_hz, best = None, 0.0
    for hz in candidates:
        share = goertzel_share(samples, rate, hz, energy)
        if share > best:
            best_hz, best = hz, share
    if best >= DOMINANT_SHARE:
        return best_hz
    for hz in range(100, int(rate / 2) - 50, 100):   # something else: name it
        share = goertzel_share(samples, rate, hz, energy)
        if share > best:
            best_hz, best = hz, share
    return best_hz if best_hz is not None else 0


def read_wav(path):
    """(rate, channels, sample width, frames). A recording judged while its
    writer still holds it open may lack the final header sizes (or, at worst,
    the header): fall back to reading the fmt chunk and everything after the
    data chunk by hand, and to 8 kHz mono 16-bit (what sndfile writes)."""
    try:
        with wave.open(path) as w:
            return (w.getframerate(), w.getnchannels(), w.getsampwidth(),
                    w.readframes(w.getnframes()))
    except (wave.Error, EOFError):
        pass
    with open(path, "rb") as f:
        blob = f.read()
    rate, ch, width = 8000, 1, 2
    fmt = blob.find(b"fmt ")
    if 0 <= fmt and len(blob) >= fmt + 24:
        _, ch, rate, _, _, bits = struct.unpack("<HHIIHH", blob[fmt + 8:fmt + 24])
        width = max(1, bits // 8)
    data = blob.find(b"data")
    start = data + 8 if data >= 0 else min(len(blob), 44)
    raw = blob[start:]
    return rate, ch, width, raw[:len(raw) - len(raw) % (width * max(ch, 1))]


def analyse(path, candidates, window_s):
    rate, ch, width, raw = read_wav(path)
    if width != 2:
        raise SystemExit(f"{path}: {8 * width}-bit samples, expected 16-bit PCM")
    pcm = array.array("h", raw)
    if sys.byteorder != "little":
        pcm.byteswap()
    if ch > 1:
        pcm = pcm[::ch]
    # Classify a 0.1 s slice of every window_s stretch: the tones are steady,
    # and pure python is slow inside the emulated guest, so a fifth of the
    # samples tells the same at a fifth of the cost.
    stride = max(1, int(rate * window_s))
    n = min(stride, max(1, int(rate * SLICE_S)))
    by_hz, silent = {}, 0.0
    for i in range(0, len(pcm) - stride + 1, stride):
        hz = classify(pcm[i:i + n], rate, candidates)
        if hz is None:
            silent += window_s
        else:
            by_hz[hz] = by_hz.get(hz, 0.0) + window_s
    dominant = max(by_hz, key=by_hz.get) if by_hz else None
    return {"file": path, "seconds": round(len(pcm) / rate, 2), "silent_s": round(silent, 2),
            "by_hz": {str(k): round(v, 2) for k, v in sorted(by_hz.items())},
            "dominant_hz": dominant}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wav")
    ap.add_argument("--candidates", default="500,700,900,1100")
    ap.add_argument("--window", type=float, default=0.5)
    a = ap.parse_args()
    cands = [float(c) for c in a.candidates.split(",") if c]
    res = analyse(a.wav, cands, a.window)
    res["by_hz"] = {str(int(float(k))): v for k, v in res["by_hz"].items()}
    if res["dominant_hz"] is not None:
        res["dominant_hz"] = int(res["dominant_hz"])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
