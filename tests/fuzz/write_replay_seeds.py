#!/usr/bin/env python3
"""Write the seeds of fuzz_replay (tests/fuzz/seeds_replay): calls of both IP
families in its input format (byte 0: link type in bits 0-1, NAT66 in bit 2;
then packets, each a 2-byte big-endian length and its bytes).

    tests/fuzz/write_replay_seeds.py tests/fuzz/seeds_replay
"""
import ipaddress
import os
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4(proto, src, dst, sport, dport, payload, seq=1):
    if proto == 17:
        h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
        off = 6
    else:
        h = struct.pack("!HHIIBBHHH", sport, dport, seq, 7, 5 << 4, 0x18, 0xFFFF, 0, 0)
        off = 16
    seg = h + payload
    if src.version == 4:
        ph = src.packed + dst.packed + struct.pack("!BBH", 0, proto, len(seg))
    else:
        ph = src.packed + dst.packed + struct.pack("!IxxxB", len(seg), proto)
    c = csum(ph + seg) or 0xFFFF
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def ip(src, dst, payload, proto=17, hbh=False, frag=False):
    src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    seg = l4(proto, src, dst, *payload) if isinstance(payload, tuple) else payload
    if src.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0x1234, 0x2000 if frag else 0,
                        64, proto, 0, src.packed, dst.packed)
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + seg
    ext, nh = b"", proto
    if frag:
        ext = struct.pack("!BBHI", nh, 0, 1, 7) + ext
        nh = 44
    if hbh:
        ext = struct.pack("!BB", nh, 0) + b"\x01\x04\0\0\0\0" + ext
        nh = 0
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(seg), nh, 64,
                       src.packed, dst.packed) + ext + seg


def sip(first, via, contact, sdp_addr=None, ip6=False):
    body = ""
    if sdp_addr:
        fam = "IP6" if ip6 else "IP4"
        body = (f"v=0\r\no=a 1 1 IN {fam} {sdp_addr}\r\ns=-\r\nc=IN {fam} {sdp_addr}\r\n"
                f"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtcp:4001 IN {fam} {sdp_addr}\r\n")
    head = (f"{first}\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bKf1;rport\r\n"
            "From: <sip:a@example.org>;tag=1\r\nTo: <sip:b@example.org>\r\n"
            "Call-ID: fuzz@example.org\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:a@{contact}>\r\n")
    if body:
        head += "Content-Type: application/sdp\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def seed(flags, pkts):
    return bytes([flags]) + b"".join(struct.pack("!H", len(p)) + p for p in pkts)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    A4, P4, PUB4 = "192.168.1.10", "203.0.113.5", "198.51.100.1"
    A6, P6, PUB6 = "2001:db8:1::10", "2001:db8:2::5", "2001:db8:ff::1"
    inv4 = sip("INVITE sip:b@example.org SIP/2.0", A4 + ":5060", A4 + ":5060", A4)
    inv6 = sip("INVITE sip:b@example.org SIP/2.0", f"[{A6}]:5060", f"[{A6}]:5060", A6, True)
    ok6 = sip("SIP/2.0 200 OK", f"[{PUB6}]:5060", f"[{P6}]:5060", P6, True)
    eth6 = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd"
    seeds = {
        "v4-invite-raw": seed(0, [ip(A4, P4, (5060, 5060, inv4))]),
        "v6-routed-call": seed(0, [ip(A6, P6, (5060, 5060, inv6)),
                                   ip(P6, A6, (5060, 5060, ok6)),
                                   ip(A6, P6, (4000, 30000, b"\x80\0\0\1rtp"))]),
        "v6-nat66-call": seed(4, [ip(A6, P6, (5060, 5060, inv6)),
                                  ip(P6, PUB6, (5060, 5060, ok6))]),
        "v6-hbh-frag": seed(0, [ip(A6, P6, (5060, 5060, inv6), hbh=True),
                                ip(A6, P6, (5060, 5060, inv6), frag=True)]),
        "v6-tcp-nat66": seed(4, [ip(A6, P6, (40000, 5060, inv6[:300], 1), proto=6),
                                 ip(A6, P6, (40000, 5060, inv6[300:], 301), proto=6)]),
        "v6-eth-nat66": seed(5, [eth6 + ip(A6, P6, (5060, 5060, inv6))]),
        "v4v6-null": seed(3, [b"\x1e\0\0\0" + ip(A6, P6, (5060, 5060, inv6)),
                              b"\x02\0\0\0" + ip(A4, P4, (5060, 5060, inv4))]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
