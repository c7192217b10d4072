#!/usr/bin/env python3
"""SIP messages of a capture's TCP streams, reassembled by sequence number.

A SIP message over TCP may span segments, and a line (a Via, a c=) may be
cut between two of them: a checker that reads segment by segment then misses
a private address or reads a truncated port. `Reassembler` follows each
direction of each connection by sequence number (retransmissions and
overlaps taken once, out-of-order segments held until the gap fills) and
hands back whole messages, framed by the blank line and Content-Length, each
with the segments that carried it.

Plain python3, like pcapsum.py: classic pcap, Ethernet, IPv4 and IPv6.
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402

CLEN = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# a message too big to be SIP, or a stream that lost its framing: hand the
# bytes back as they are instead of holding them forever
MAX_MSG = 65535


def tcp_header6(frame):
    """tcp_header of an IPv6 frame"""
    v6 = pcapsum.ip6_layer(frame)
    if not v6 or v6[0] != 6 or len(v6[3]) < 20:
        return None
    _, src, dst, l4 = v6
    if 40 + struct.unpack("!H", frame[18:20])[0] > len(frame) - 14:
        return None     # cut by the snap length
    sport, dport, seq = struct.unpack("!HHI", l4[:8])
    return src, sport, dst, dport, seq, l4[13], l4[(l4[12] >> 4) * 4:]


def truncated(frame):
    """a TCP frame the capture cut short (either family)"""
    if frame[12:14] == b"\x86\xdd":
        return len(frame) >= 54 and frame[20:21] == b"\x06"
    return frame[23:24] == b"\x06" and len(frame) >= 34


def tcp_header(frame):
    """-> (src, sport, dst, dport, seq, flags, payload) of a TCP frame, or None"""
    if frame[12:14] == b"\x86\xdd":
        return tcp_header6(frame)
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    if total > len(ip):
        return None     # cut by the snap length (a GSO frame bigger than -s): unusable
    l4 = ip[ihl:total]  # without Ethernet padding
    sport, dport, seq = struct.unpack("!HHI", l4[:8])
    off = (l4[12] >> 4) * 4
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    return src, sport, dst, dport, seq, l4[13], l4[off:]


def message_length(buf):
    """Bytes of the whole message at the start of buf, or None while incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    m = CLEN.search(buf[:end + 2])
    n = end + 4 + (int(m.group(1)) if m else 0)
    return n if n <= len(buf) else None


def _ahead(seq, ref):
    """Signed distance from ref to seq, modulo 2^32."""
    return ((seq - ref + 2**31) % 2**32) - 2**31


class _Flow:
    def __init__(self):
        self.next = None       # sequence number of the next byte in stream order
        self.offset = 0        # stream offset of buf[0] (bytes since the first one seen)
        self.buf = b""
        self.segs = []         # (stream offset, length) of segments still in buf
        self.held = {}         # out of order: seq -> payload
        self.retrans = 0


class Reassembler:
    """feed(frame) -> [(src, sport, dst, dport, message, [(offset, len)...])]

    offset/len: each segment overlapping the message, its offset relative
    to the message's first byte (negative when the segment began earlier)."""

    def __init__(self, port=5060):
        self.port = port
        self.flows = {}
        self.truncated = 0      # TCP frames the capture cut short

    def feed(self, frame):
        h = tcp_header(frame)
        if not h:
            self.truncated += truncated(frame)
            return []
        if self.port not in (h[1], h[3]):
            return []
        src, sport, dst, dport, seq, flags, payload = h
        key = (src, sport, dst, dport)
        f = self.flows.setdefault(key, _Flow())
        if flags & 0x02:                     # SYN: data starts at seq + 1
            f.next = (seq + 1) & 0xFFFFFFFF
            return []
        if not payload:
            return []
        if f.next is None:                   # capture began mid-stream
            f.next = seq
        if _ahead(seq, f.next) > 0:          # a gap: hold until it fills
            f.held[seq] = payload
            if sum(len(x) for x in f.held.values()) > MAX_MSG:
                return self._gap(key, f)
            return []
        self._append(f, payload, _ahead(seq, f.next))
        ready = True
        while ready:                         # take what was held once the gap filled
            ready = [s for s in f.held if _ahead(s, f.next) <= 0]
            for s in sorted(ready, key=lambda s: _ahead(s, f.next)):
                self._append(f, f.held.pop(s), _ahead(s, f.next))
        return [(src, sport, dst, dport, m, s) for m, s in self._messages(f)]

    def _append(self, f, payload, d):
        """d <= 0: the payload starts -d bytes before f.next (a retransmission's overlap)"""
        if len(payload) + d <= 0:
            f.retrans += 1
            return
        new = payload[-d:] if d else payload
        f.segs.append((f.offset + len(f.buf) + d, len(payload)))
        f.buf += new
        f.next = (f.next + len(new)) & 0xFFFFFFFF

    def _messages(self, f):
        out = []
        while f.buf:
            lead = len(f.buf) - len(f.buf.lstrip(b"\r\n"))   # CRLF keep-alives
            if lead:
                self._cut(f, lead)
                continue
            n = message_length(f.buf)
            if n is None:
                if len(f.buf) > MAX_MSG:
                    n = len(f.buf)
                else:
                    break
            start = f.offset
            segs = [(o - start, ln) for o, ln in f.segs if o < start + n and o + ln > start]
            out.append((f.buf[:n], segs))
            self._cut(f, n)
        return out

    @staticmethod
    def _cut(f, n):
        f.buf = f.buf[n:]
        f.offset += n
        f.segs = [(o, ln) for o, ln in f.segs if o + ln > f.offset]

    def _gap(self, key, f):
        """Bytes missing from the capture: give back what is buffered, restart after the gap."""
        out = [(*key, f.buf, [(o - f.offset, ln) for o, ln in f.segs])] if f.buf else []
        for s in sorted(f.held, key=lambda s: _ahead(s, f.next)):
            out.append((*key, f.held[s], [(0, len(f.held[s]))]))
        self.flows[key] = _Flow()
        return out

    def rest(self):
        """What never completed: incomplete tails and held segments, as they are."""
        out = []
        for key, f in list(self.flows.items()):
            out.extend(self._gap(key, f))
        return out
