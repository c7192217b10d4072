#!/usr/bin/env python3
"""Where the TCP segments of one direction of one connection fall, read from a pcap.

  tcp_pcap.py PCAP SRC_IP:SPORT list
      print each data segment: offset in the stream (from the SYN's ISN), length,
      copy number, first bytes.
  tcp_pcap.py PCAP SRC_IP:SPORT bounds CHUNK...
      exit 0 iff the distinct data segments are exactly the CHUNK files, in order
      (same offsets, same lengths, same bytes): the boundaries fall where the test means.
  tcp_pcap.py PCAP SRC_IP:SPORT count N
      exit 0 iff there are exactly N distinct data segments (copies counted once).
  tcp_pcap.py PCAP SRC_IP:SPORT starts TEXT
      exit 0 iff some data segment begins with TEXT.
  tcp_pcap.py PCAP SRC_IP:SPORT retrans OUTFILE
      exit 0 iff some offset was sent more than once and every copy of it carries the
      same bytes; the first such payload goes to OUTFILE.
Offsets count from the first payload byte (ISN + 1), so they are comparable between
the gateway's two legs for unchanged streams.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_sip import packets  # noqa: E402  (the same pcap reader as the UDP checks)


def flows(path):
    """{(src, sport): [(offset, payload)]} of every flow's data segments, one pass."""
    isn, raw = {}, {}
    for ip in packets(path):
        if len(ip) < 40 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:tot]
        sp, _, seq = struct.unpack("!HHI", tcp[:8])
        key = (".".join(map(str, ip[12:16])), sp)
        if tcp[13] & 0x02:	# SYN: the stream starts at ISN + 1
            isn[key] = seq
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            raw.setdefault(key, []).append((seq, payload))
    out = {}
    for key, segs in raw.items():
        base = isn.get(key, (min(s for s, _ in segs) - 1) & 0xFFFFFFFF)
        out[key] = [(((s - base - 1) & 0xFFFFFFFF), p) for s, p in segs]
    return out


def segments(path, src, sport):
    """[(offset, payload)] of the data segments from src:sport, in capture order."""
    return flows(path).get((src, sport), [])


def distinct(segs):
    seen, out = set(), []
    for off, p in segs:
        if (off, p) not in seen:
            seen.add((off, p))
            out.append((off, p))
    return sorted(out, key=lambda x: x[0])


def bounds_ok(segs, chunks):
    """The distinct segments are exactly the chunks (bytes), in order, from offset 0."""
    want, off = [], 0
    for data in chunks:
        want.append((off, data))
        off += len(data)
    return distinct(segs) == want


def layout(segs):
    return [(o, len(p)) for o, p in distinct(segs)]


def retrans(segs):
    """(verdict, payload, text) for the first offset sent more than once:
    verdict 'identical', 'different' or 'none'."""
    by_off = {}
    for off, p in segs:
        by_off.setdefault(off, []).append(p)
    for off in sorted(by_off):
        ps = by_off[off]
        if len(ps) > 1:
            same = all(p == ps[0] for p in ps)
            return ("identical" if same else "different", ps[0],
                    "offset %d sent %d times, lengths %s, %s" % (
                        off, len(ps), [len(p) for p in ps], "identical" if same else "DIFFERENT"))
    return "none", b"", "no offset was sent twice"


def listing(flow, segs):
    copies, out = {}, []
    for off, p in segs:
        copies[off] = copies.get(off, 0) + 1
        out.append("  %s off %5d len %4d copy %d  %r" % (flow, off, len(p), copies[off], p[:28]))
    return out


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    path, flow, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    src, sport = flow.rsplit(":", 1)
    segs = segments(path, src, int(sport))
    if cmd == "list":
        print("\n".join(listing(flow, segs)))
        return 0
    if cmd == "bounds":
        chunks = []
        for c in args:
            with open(c, "rb") as f:
                chunks.append(f.read())
        if bounds_ok(segs, chunks):
            return 0
        print("  segments at %s, meant %s" % (layout(segs), [len(c) for c in chunks]))
        return 1
    if cmd == "count":
        return 0 if len({off for off, _ in segs}) == int(args[0]) else 1
    if cmd == "starts":
        return 0 if any(p.startswith(args[0].encode()) for _, p in segs) else 1
    if cmd == "retrans":
        verdict, payload, text = retrans(segs)
        print("  " + text)
        if verdict != "none":
            with open(args[0], "wb") as f:
                f.write(payload)
        return 0 if verdict == "identical" else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
